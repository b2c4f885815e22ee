using AspireChat.Bench.Processes;

namespace AspireChat.Tests.Unit.Bench;

public sealed class CpuAffinityTests
{
    [Theory]
    [InlineData("0", new[] { 0 })]
    [InlineData("0-1", new[] { 0, 1 })]
    [InlineData(" 0,2-3\n", new[] { 0, 2, 3 })]
    [InlineData("3,1,1-2", new[] { 1, 2, 3 })]
    public void AKernelCpuListReadsAsItsCores(string list, int[] cores)
    {
        Assert.Equal(cores, CpuAffinity.ParseList(list));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("2-1")]
    [InlineData("-1")]
    public void AListThatNamesNoCoreIsRejected(string list)
    {
        Assert.Throws<FormatException>(() => CpuAffinity.ParseList(list));
    }

    [Fact]
    public void ListsAreWrittenAsTasksetTakesThem()
    {
        Assert.Equal("0,1,3", CpuAffinity.FormatList([3, 0, 1]));
    }

    [Fact]
    public void ThePlanSaysWhereEachProcessRuns()
    {
        Assert.Equal("ChatApi on core 0; mock and load generator on core 1; redis-server on core 1", CorePlan.TwoCores.ToString());
        Assert.Equal([0], (CorePlan.TwoCores with { RedisOnServerCores = true }).RedisCores);
    }
}
