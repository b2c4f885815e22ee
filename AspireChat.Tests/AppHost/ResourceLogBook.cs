using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace AspireChat.Tests.AppHost;

/// <summary>Every resource's log lines as an AppHost under test writes them, kept for a failure message.</summary>
internal sealed class ResourceLogBook : IDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _lines = new();
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Starts keeping the log of every resource of <paramref name="app"/> (built, before it starts).</summary>
    public void Keep(DistributedApplication app)
    {
        var logs = app.Services.GetRequiredService<ResourceLoggerService>();
        foreach (var resource in app.Services.GetRequiredService<DistributedApplicationModel>().Resources)
        {
            var lines = _lines.GetOrAdd(resource.Name, _ => new());
            _ = Task.Run(async () =>
            {
                try
                {
                    await foreach (var batch in logs.WatchAsync(resource).WithCancellation(_stop.Token))
                    {
                        foreach (var line in batch)
                        {
                            lines.Enqueue(line.Content);
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
        }
    }

    /// <summary>The last <paramref name="linesPerResource"/> lines of each resource, under its name.</summary>
    public string Tail(int linesPerResource)
    {
        var text = new StringBuilder();
        foreach (var (name, lines) in _lines.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"--- {name} ---");
            foreach (var line in lines.TakeLast(linesPerResource))
            {
                text.AppendLine(line);
            }
        }

        return text.ToString();
    }

    /// <summary>Stops watching, before the app is disposed.</summary>
    public Task StopAsync() => _stop.CancelAsync();

    public void Dispose() => _stop.Dispose();
}
