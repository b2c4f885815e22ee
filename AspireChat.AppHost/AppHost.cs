using AspireChat.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

// Conversation history. The data volume (which also turns on Redis persistence) keeps it across restarts.
var cache = builder.AddRedis("cache")
    .WithDataVolume();

// The chat service: streams replies over /ws and stores each turn in the cache, so it starts after Redis.
// Its model is the offline one unless an OpenAI key is configured (ModelParameters.cs, docs/aspire.md).
var chatApi = builder.AddProject<Projects.AspireChat_ChatApi>("chatapi")
    .WithReference(cache)
    .WaitFor(cache)
    .WithHttpHealthCheck("/health")
    .WithModelParameters();

// The page users open. It proxies /ws and /api to chatapi, so the browser talks to one origin.
builder.AddProject<Projects.AspireChat_Web>("web")
    .WithReference(chatApi)
    .WaitFor(chatApi)
    .WithHttpHealthCheck("/health")
    .WithExternalHttpEndpoints();

builder.Build().Run();
