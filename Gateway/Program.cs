using Argus.Gateway.Hosting;

await ArgusNode.Build(args).RunAsync();
