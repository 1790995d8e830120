using Wrangler.Dashboard;

WranglerApp.Create(args).Run();

public partial class Program;
