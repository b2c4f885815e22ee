using AspireChat.ChatApi;

var builder = WebApplication.CreateBuilder(args);

// Health endpoints and OpenTelemetry, shared by every AspireChat service.
builder.AddServiceDefaults();
// The model, the conversation store, the reply coordinator and the client limits.
builder.AddChatServices();

var app = builder.Build();

app.UseExceptionHandler();
app.MapDefaultEndpoints();
// /ws, POST /api/chat and /api/conversations (docs/protocol.md).
app.MapChatApi();

app.Run();

/// <summary>The entry point, visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
