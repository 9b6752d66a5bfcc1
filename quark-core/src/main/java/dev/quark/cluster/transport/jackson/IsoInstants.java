package dev.quark.cluster.transport.jackson;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;

import org.jspecify.annotations.Nullable;

/**
 * Reads the one form of an instant that {@link Instant#toString()} and Jackson write by default, such as
 * {@code 2026-12-05T17:37:39.615Z}: a four-digit year, no offset but {@code Z}, and a fraction of up to nine digits,
 * without a {@code DateTimeFormatter}. Parsing with the formatter costs about a microsecond, and a reminder's tick
 * that goes to another silo carries two instants; this costs a small part of that. Anything else (a year beyond
 * 9999, a leap second, an offset, a malformed value) is left to the caller's full parser, which also names what is
 * wrong with it.
 */
final class IsoInstants {

    /** {@code yyyy-MM-ddTHH:mm:ssZ}, without a fraction. */
    private static final int SHORTEST = 20;

    /** With nine digits of fraction and the dot. */
    private static final int LONGEST = SHORTEST + 10;

    private static final int[] SCALES = { 0, 100_000_000, 10_000_000, 1_000_000, 100_000, 10_000, 1_000, 100, 10, 1 };

    private IsoInstants() {
    }

    /**
     * Reads an instant in the usual form.
     * @param text the text
     * @return the instant, or {@code null} when the text is not in that form (it may still be an instant)
     */
    static @Nullable Instant read(String text) {
        int length = text.length();
        if (length < SHORTEST || length > LONGEST || length == SHORTEST + 1 || text.charAt(length - 1) != 'Z'
                || text.charAt(4) != '-' || text.charAt(7) != '-' || text.charAt(10) != 'T' || text.charAt(13) != ':'
                || text.charAt(16) != ':') {
            return null;
        }
        int year = digits(text, 0, 4);
        int month = digits(text, 5, 2);
        int day = digits(text, 8, 2);
        int hour = digits(text, 11, 2);
        int minute = digits(text, 14, 2);
        int second = digits(text, 17, 2);
        if (year < 0 || month < 0 || day < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0
                || second > 59) {
            return null;
        }
        int nano = 0;
        if (length > SHORTEST) {
            int fraction = length - SHORTEST - 1;
            if (text.charAt(19) != '.') {
                return null;
            }
            int value = digits(text, 20, fraction);
            if (value < 0) {
                return null;
            }
            nano = value * SCALES[fraction];
        }
        long epochDay;
        try {
            epochDay = LocalDate.of(year, month, day).toEpochDay();
        }
        catch (DateTimeException ex) {
            return null;
        }
        return Instant.ofEpochSecond(epochDay * 86_400 + hour * 3_600 + minute * 60 + second, nano);
    }

    /** Returns the value of {@code count} decimal digits from {@code start}, or -1 when one is not a digit. */
    private static int digits(String text, int start, int count) {
        int value = 0;
        for (int i = start; i < start + count; i++) {
            int digit = text.charAt(i) - '0';
            if (digit < 0 || digit > 9) {
                return -1;
            }
            value = value * 10 + digit;
        }
        return value;
    }
}
