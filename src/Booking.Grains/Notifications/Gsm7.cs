using System.Buffers;
using System.Globalization;
using System.Text;

namespace Booking.Grains.Notifications;

/// <summary>
/// The GSM 03.38 alphabet that SMS carries in 7 bits (3GPP TS 23.038, basic table and extension).
/// One character outside it sends the whole message as UCS-2, which cuts a segment from 160 to 70
/// characters, so texts we write ourselves stay inside it and names are folded into it.
/// </summary>
public static class Gsm7
{
    private const string Basic =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    // Each of these costs two septets: an escape, then the character.
    private const string Extension = "\f^{}\\[~]|€";

    private static readonly SearchValues<char> BasicLetters = SearchValues.Create(Basic);
    private static readonly SearchValues<char> ExtensionLetters = SearchValues.Create(Extension);
    private static readonly SearchValues<char> AllLetters = SearchValues.Create(Basic + Extension);

    private const int SingleGsm = 160;
    private const int SegmentGsm = 153;
    private const int SingleUcs2 = 70;
    private const int SegmentUcs2 = 67;

    private static readonly Dictionary<char, string> LookAlikes = new()
    {
        ['œ'] = "oe", ['Œ'] = "OE", ['’'] = "'", ['‘'] = "'", ['«'] = "\"", ['»'] = "\"", ['“'] = "\"", ['”'] = "\"",
        ['–'] = "-", ['—'] = "-", ['…'] = "...", ['\u00A0'] = " ", ['\u202F'] = " ",
    };

    public static bool IsEncodable(string text) => !text.AsSpan().ContainsAnyExcept(AllLetters);

    /// <summary>How many billed messages the text takes: 160 septets (70 UCS-2 units) in one, 153
    /// (67) per part once split, an escape pair or a surrogate pair never cut in two.</summary>
    public static int Segments(string text)
    {
        if (IsEncodable(text))
        {
            return text.Length + Escapes(text) <= SingleGsm ? 1 : Split(text, SegmentGsm, Septets);
        }
        return text.Length <= SingleUcs2 ? 1 : Split(text, SegmentUcs2, _ => 1);
    }

    /// <summary>The text with letters the alphabet lacks replaced by the nearest ones it has (ô → o,
    /// ç → c, œ → oe, typographic quotes and spaces → plain ones). What has no such letter is kept.</summary>
    public static string Fold(string text)
    {
        if (IsEncodable(text))
        {
            return text;
        }
        var folded = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (AllLetters.Contains(c))
            {
                folded.Append(c);
            }
            else if (LookAlikes.TryGetValue(c, out var plain))
            {
                folded.Append(plain);
            }
            else
            {
                var bare = c.ToString().Normalize(NormalizationForm.FormD)
                    .Where(d => CharUnicodeInfo.GetUnicodeCategory(d) != UnicodeCategory.NonSpacingMark)
                    .ToArray();
                folded.Append(bare.Length > 0 && bare.All(BasicLetters.Contains) ? new string(bare) : c.ToString());
            }
        }
        return folded.ToString();
    }

    private static int Septets(char c) => ExtensionLetters.Contains(c) ? 2 : 1;

    private static int Escapes(string text)
    {
        var escapes = 0;
        var rest = text.AsSpan();
        for (var i = rest.IndexOfAny(ExtensionLetters); i >= 0; i = rest.IndexOfAny(ExtensionLetters))
        {
            escapes++;
            rest = rest[(i + 1)..];
        }
        return escapes;
    }

    private static int Split(string text, int perSegment, Func<char, int> width)
    {
        var segments = 1;
        var used = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var units = char.IsHighSurrogate(text[i]) && i + 1 < text.Length ? 2 : width(text[i]);
            if (used + units > perSegment)
            {
                segments++;
                used = 0;
            }
            used += units;
            if (units == 2 && char.IsHighSurrogate(text[i]))
            {
                i++;
            }
        }
        return segments;
    }
}
