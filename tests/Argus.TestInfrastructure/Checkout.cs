namespace Argus.TestInfrastructure;

/// <summary>The checkout the tests run from: the directory holding <c>Argus.sln</c>.</summary>
public static class Checkout
{
    public static string Root { get; } = Find();

    /// <summary>A file or directory of the checkout, by its path from the root (<c>deploy/Dockerfile</c>).</summary>
    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    private static string Find()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Argus.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Argus.sln not found above " + AppContext.BaseDirectory);
    }
}
