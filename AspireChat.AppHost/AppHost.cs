using AspireChat.AppHost;
using AspireChat.AppHost.Cache;

var builder = DistributedApplication.CreateBuilder(args);

// Conversation history: Aspire's Redis container with a data volume, a redis-server process on a machine with no
// container engine, a local Redis Cluster, or, where no Redis can run, ChatApi's memory (Cache/CacheExtensions.cs).
var cache = builder.AddCache("cache");

// The chat service: streams replies over /ws and stores each turn in the cache, so it starts after Redis.
// Its model is the offline one unless an OpenAI key is configured (ModelParameters.cs, docs/aspire.md).
var chatApi = builder.AddProject<Projects.AspireChat_ChatApi>("chatapi")
    .WithCache(cache)
    .WithHttpHealthCheck("/health")
    .WithModelParameters();

// The page users open. It proxies /ws and /api to chatapi, so the browser talks to one origin, and relays the page's
// own spans to the dashboard's OTLP/HTTP endpoint with its key, so a trace starts at the user's key press (BrowserTelemetry.cs).
builder.AddProject<Projects.AspireChat_Web>("web")
    .WithReference(chatApi)
    .WaitFor(chatApi)
    .WithHttpHealthCheck("/health")
    .WithExternalHttpEndpoints()
    .WithBrowserTelemetry();

builder.Build().Run();
