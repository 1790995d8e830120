var b = WebApplication.CreateBuilder(args);
var app = b.Build();
app.MapGet("/healthz", () => "ok");
app.Run();
