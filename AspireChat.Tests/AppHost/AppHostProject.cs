extern alias AppHost;

// The AppHost's generated project type, for DistributedApplicationTestingBuilder.CreateAsync<AspireChatAppHost>().
// The AppHost assembly is referenced under an alias: its Program and ChatApi's would otherwise be the same name.
global using AspireChatAppHost = AppHost::Projects.AspireChat_AppHost;
