using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Booking.Api.Security;

/// <summary>A configured key: only its SHA-256 is stored, never the key itself.</summary>
public sealed class ApiKeyEntry
{
    public string Name { get; set; } = "";

    public string Sha256 { get; set; } = "";

    public string Scope { get; set; } = "";
}

public sealed class ApiKeyOptions
{
    public List<ApiKeyEntry> ApiKeys { get; set; } = [];

    /// <summary>Requests per second allowed to each key (a portal sends all its citizens' traffic).</summary>
    public int PermitsPerSecond { get; set; } = 50_000;

    /// <summary>Requests per second allowed to one client address without a valid key (the public
    /// feed, and every request whose key is missing or wrong).</summary>
    public int AnonymousPermitsPerSecond { get; set; } = 20;
}

public static class ApiKeyDefaults
{
    public const string Scheme = "ApiKey";
    public const string Header = "X-Api-Key";
    public const string ScopeClaim = "scope";
    public const string PortalPolicy = "portal";
    public const string OperatorPolicy = "operator";
    public const string RateLimitPolicy = "per-key";

    public static string ClientName(ClaimsPrincipal user) => user.Identity?.Name ?? "anonymous";
}

/// <summary>Authenticates the X-Api-Key header against the configured key hashes.</summary>
public sealed class ApiKeyHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    IOptionsMonitor<ApiKeyOptions> keys,
    ILoggerFactory logger,
    UrlEncoder encoder) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    // The configured hashes decoded, and each key's answer made, once per version of the options.
    private static KeyTable s_keys = new(null, []);

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(ApiKeyDefaults.Header, out var values) || values.Count != 1 || string.IsNullOrEmpty(values[0]))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        HashOf(values[0]!, hash);
        foreach (var (known, success) in Table(keys.CurrentValue, Scheme.Name).Keys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, known))
            {
                return success;
            }
        }
        return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
    }

    private static void HashOf(string apiKey, Span<byte> hash)
    {
        // Keys are short; anything longer is hashed from a fresh array.
        if (Encoding.UTF8.GetMaxByteCount(apiKey.Length) > 512)
        {
            SHA256.HashData(Encoding.UTF8.GetBytes(apiKey), hash);
            return;
        }
        Span<byte> utf8 = stackalloc byte[512];
        SHA256.HashData(utf8[..Encoding.UTF8.GetBytes(apiKey, utf8)], hash);
    }

    private static KeyTable Table(ApiKeyOptions options, string scheme)
    {
        var table = s_keys;
        if (!ReferenceEquals(table.Source, options))
        {
            s_keys = table = new KeyTable(options, options.ApiKeys.Select(k => (Convert.FromHexString(k.Sha256), Success(k, scheme))).ToArray());
        }
        return table;
    }

    /// <summary>A key's answer, made once per version of the options and shared by all its requests
    /// (nothing in this API changes a request's principal): a portal sends every request with the same key.</summary>
    private static Task<AuthenticateResult> Success(ApiKeyEntry key, string scheme)
    {
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, key.Name), new Claim(ApiKeyDefaults.ScopeClaim, key.Scope)], scheme);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), scheme)));
    }

    private sealed record KeyTable(ApiKeyOptions? Source, (byte[] Hash, Task<AuthenticateResult> Success)[] Keys);

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        WriteProblem(StatusCodes.Status401Unauthorized, "unauthorized", "A valid X-Api-Key header is required.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblem(StatusCodes.Status403Forbidden, "forbidden", "This API key's scope does not allow this endpoint.");

    private Task WriteProblem(int status, string type, string detail)
    {
        Response.StatusCode = status;
        return Results.Problem(detail: detail, statusCode: status, type: Apis.Problems.TypePrefix + type).ExecuteAsync(Context);
    }
}
