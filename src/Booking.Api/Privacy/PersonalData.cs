using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;
using Booking.Grains.Domain;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Npgsql;

namespace Booking.Api.Privacy;

/// <summary>What we keep to reach a citizen: only ever stored encrypted.</summary>
public sealed record CitizenContact(string FirstName, string LastName, DateOnly BirthDate, string Phone, string? Email);

/// <summary>
/// Encrypts citizens' contact details before they leave the API (authenticated encryption,
/// AES-256-GCM, through ASP.NET Core Data Protection). The ledger holds only the ciphertext; the
/// keys are in their own table, so a copy of the ledger alone reveals nobody.
/// </summary>
public sealed class PersonalData(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("Booking.CitizenContact.v1");

    public string Protect(CitizenContact contact) => _protector.Protect(JsonSerializer.Serialize(contact, JsonSerializerOptions.Web));

    public CitizenContact Unprotect(string protectedContact) =>
        JsonSerializer.Deserialize<CitizenContact>(_protector.Unprotect(protectedContact), JsonSerializerOptions.Web)
        ?? throw new InvalidOperationException("Empty contact.");

    /// <summary>"É. D." — all a centre's day list shows of a person.</summary>
    public static string Initials(string firstName, string lastName) =>
        string.Create(CultureInfo.InvariantCulture, $"{Initial(firstName)}. {Initial(lastName)}.");

    private static char Initial(string name) => char.ToUpperInvariant(name.Trim().FirstOrDefault(char.IsLetter));
}

/// <summary>The Data Protection key ring in PostgreSQL, shared by every silo of the cluster.</summary>
public sealed class PostgresKeyRing(NpgsqlDataSource dataSource) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = dataSource.OpenConnection();
        return connection.Query<string>("SELECT xml FROM data_protection_keys ORDER BY id").Select(XElement.Parse).ToArray();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var connection = dataSource.OpenConnection();
        connection.Execute("INSERT INTO data_protection_keys (friendly_name, xml) VALUES (@friendlyName, @xml)",
            new { friendlyName, xml = element.ToString(SaveOptions.DisableFormatting) });
    }
}
