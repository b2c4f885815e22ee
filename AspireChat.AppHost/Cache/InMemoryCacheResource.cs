namespace AspireChat.AppHost.Cache;

/// <summary>
/// The <c>cache</c> where no Redis can run: nothing runs, and ChatApi, given no connection string, keeps history in
/// its memory. The resource is there to say so on the dashboard, in a warning state.
/// </summary>
internal sealed class InMemoryCacheResource(string name) : Resource(name)
{
    public const string StateText = "no Redis here: history in memory, lost on restart";

    public const string InstallHint = "Install Redis (apt-get install redis-server) or start Docker or Podman, then restart the AppHost.";
}
