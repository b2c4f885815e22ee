using AspireChat.ChatApi;
using AspireChat.ChatApi.Replies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AspireChat.Tests.Unit.Replies;

/// <summary>ChatApi's <c>Telemetry</c> section: off by default, on when asked, a value that is not a boolean refused at start.</summary>
public sealed class ReplyTelemetryOptionsTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(null, false)]
    [InlineData("true", true)]
    [InlineData("False", false)]
    public async Task PerCommandSpansIsOffUnlessSetToTrue(string? value, bool expected)
    {
        await using var app = Build(value);
        await app.StartAsync(Token);

        Assert.Equal(expected, app.Services.GetRequiredService<IOptions<ReplyTelemetryOptions>>().Value.PerCommandSpans);
        await app.StopAsync(Token);
    }

    [Fact]
    public async Task APerCommandSpansThatIsNotABooleanStopsTheStartNamingTheKey()
    {
        await using var app = Build("sometimes");

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync(Token));

        Assert.Contains("Telemetry:PerCommandSpans", refused.Message, StringComparison.Ordinal);
    }

    private static WebApplication Build(string? perCommandSpans)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        if (perCommandSpans is not null)
        {
            builder.Configuration["Telemetry:PerCommandSpans"] = perCommandSpans;
        }

        builder.AddChatServices();
        return builder.Build();
    }
}
