using Argus.Gateway.Hosting;

// `keys ...` manages API keys in Postgres and exits, `verify` checks the hash chains there,
// `maintenance` runs maintenance once, `signing-key FILE` makes the checkpoint key, `probe` asks
// a health probe (a container's health check); anything else runs the node.
if (args.Length > 0 && args[0] == "probe")
{
    return await ProbeCommand.RunAsync(args[1..], Console.Out, Console.Error);
}

if (args.Length > 0 && args[0] == "keys")
{
    return await KeysCommand.RunAsync(args[1..], Console.Out, Console.Error);
}

if (args.Length > 0 && args[0] == "maintenance")
{
    return await MaintenanceCommand.RunAsync(args[1..], Console.Out, Console.Error);
}

if (args.Length > 0 && args[0] == "verify")
{
    return await VerifyCommand.RunAsync(args[1..], Console.Out, Console.Error, showProgress: !Console.IsErrorRedirected);
}

if (args.Length > 0 && args[0] == "signing-key")
{
    return await SigningKeyCommand.RunAsync(args[1..], Console.Out, Console.Error);
}

await ArgusNode.Build(args).RunAsync();
return 0;
