using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Argus.Client.Hosting;

/// <summary>Options bound from a configuration section and checked when the host starts, each problem named.</summary>
public static class ValidatedOptions
{
    public static OptionsBuilder<T> AddValidatedOptions<T>(this IServiceCollection services, IConfigurationSection section, Func<T, IEnumerable<string>> problems)
        where T : class
    {
        services.AddSingleton<IValidateOptions<T>>(new ProblemsValidator<T>(problems));
        return services.AddOptions<T>().Bind(section).ValidateOnStart();
    }

    /// <summary>Reads a section's values now (the host is not built yet), with the same checks.</summary>
    public static T Read<T>(IConfigurationSection section, Func<T, IEnumerable<string>> problems)
        where T : class, new()
    {
        var options = section.Get<T>() ?? new T();
        var found = problems(options).ToList();
        return found.Count == 0 ? options : throw new OptionsValidationException(section.Path, typeof(T), found);
    }

    private sealed class ProblemsValidator<T>(Func<T, IEnumerable<string>> problems) : IValidateOptions<T>
        where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var found = problems(options).ToList();
            return found.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(found);
        }
    }
}
