using Wrangler.Lab;

return await LabCli.RunAsync(args).ConfigureAwait(false);
