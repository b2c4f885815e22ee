using AspireChat.Web;
using AspireChat.Web.Proxy;
using AspireChat.Web.Shares;
using AspireChat.Web.Telemetry;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
// /api and /ws go to ChatApi, so the browser only ever talks to this origin.
builder.AddChatProxy();
// The page's own spans, relayed to the dashboard or a collector (off unless BrowserTelemetry:Endpoint is set).
builder.AddBrowserTelemetry();
// /s/{id}: a share's read-only page, with the share read from ChatApi.
builder.AddSharePage();

var app = builder.Build();

// The page: static files only, under a strict Content-Security-Policy.
app.UsePageSecurityHeaders();
app.UseDefaultFiles();
app.UseStaticFiles();

app.MapDefaultEndpoints();
app.MapBrowserTelemetry();
app.MapChatProxy();
app.MapSharePage();

app.Run();

/// <summary>
/// Kept internal (ASP.NET Core would make it public): the tests reference Web beside ChatApi,
/// whose public Program is the one WebApplicationFactory uses.
/// </summary>
internal sealed partial class Program;
