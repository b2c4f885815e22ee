using AspireChat.ChatApi.Redis;

namespace AspireChat.Tests.Unit.Redis;

public sealed class RedisConnectionOptionsTests
{
    [Fact]
    public void ParsesTheConnectionStringAspireInjects()
    {
        var options = RedisConnectionOptions.Parse("localhost:6380,password=Ab3dEf6hIj9kLm2nOp5qRs,ssl=true");

        Assert.Equal([new RedisEndpoint("localhost", 6380)], options.Endpoints);
        Assert.Equal("Ab3dEf6hIj9kLm2nOp5qRs", options.Password);
        Assert.True(options.Ssl);
        Assert.Equal(0, options.DefaultDatabase);
        Assert.Empty(options.IgnoredOptions);
    }

    [Fact]
    public void ParsesEveryOptionAndSeveralEndpoints()
    {
        var options = RedisConnectionOptions.Parse(" a.example:1 , 10.0.0.2 ,[::1]:7000,user=alice,password=p=w,defaultDatabase=3,connectTimeout=250,abortConnect=false,ssl=False,allowAdmin=true");

        Assert.Equal([new RedisEndpoint("a.example", 1), new RedisEndpoint("10.0.0.2", 6379), new RedisEndpoint("::1", 7000)], options.Endpoints);
        Assert.Equal("alice", options.User);
        Assert.Equal("p=w", options.Password);
        Assert.Equal(3, options.DefaultDatabase);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.ConnectTimeout);
        Assert.False(options.Ssl);
        Assert.Equal(["allowAdmin"], options.IgnoredOptions);
    }

    [Fact]
    public void APasswordMayHoldAnEqualsSign()
    {
        Assert.Equal("a=b==", RedisConnectionOptions.Parse("h:1,password=a=b==").Password);
    }

    [Fact]
    public void AnEmptyConnectionStringIsAnArgumentError()
    {
        Assert.Throws<ArgumentException>(() => RedisConnectionOptions.Parse(" "));
    }

    [Theory]
    [InlineData("password=x")]
    [InlineData("host:notaport")]
    [InlineData("host:0")]
    [InlineData("host:1,ssl=maybe")]
    [InlineData("host:1,defaultDatabase=-1")]
    public void RejectsWhatIsNotAConnectionString(string text)
    {
        Assert.Throws<FormatException>(() => RedisConnectionOptions.Parse(text));
    }

    [Fact]
    public void PrintingTheOptionsNeverShowsThePassword()
    {
        var options = RedisConnectionOptions.Parse("localhost:6380,password=SuperSecret123,ssl=true,user=bob,defaultDatabase=2");

        Assert.Equal("localhost:6380,user=bob,password=*****,ssl=true,defaultDatabase=2", options.ToString());
        Assert.DoesNotContain("SuperSecret123", $"{options}", StringComparison.Ordinal);
    }
}
