using Argus.Gateway.Hosting;

// `keys ...` manages API keys in Postgres and exits, `maintenance ...` runs maintenance once and
// exits; anything else runs the node.
if (args.Length > 0 && args[0] == "keys")
{
    return await KeysCommand.RunAsync(args[1..], Console.Out, Console.Error);
}

if (args.Length > 0 && args[0] == "maintenance")
{
    return await MaintenanceCommand.RunAsync(args[1..], Console.Out, Console.Error);
}

await ArgusNode.Build(args).RunAsync();
return 0;
