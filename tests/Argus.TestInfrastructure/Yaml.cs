using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Argus.TestInfrastructure;

/// <summary>YAML documents (a rendered compose file, Kubernetes manifests) as JSON nodes: every scalar a string, a plain null or empty one null.</summary>
public static class Yaml
{
    public static IReadOnlyList<JsonNode?> Documents(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Select(d => Node(d.RootNode)).ToList();
    }

    public static JsonNode? Document(string text) => Documents(text).Single();

    private static JsonNode? Node(YamlNode node) => node switch
    {
        YamlMappingNode mapping => new JsonObject(mapping.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, Node(c.Value)))),
        YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(Node).ToArray()),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" } => null,
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => throw new InvalidDataException($"a YAML node of kind {node.NodeType} at {node.Start}"),
    };
}
