package dev.quark.jdbc;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What Quark puts before the names of its tables, for instance {@code quark_} in {@code quark_actor_state}.
 * Letters, digits and {@code _}, starting with a letter or {@code _}, at most {@value #MAX_LENGTH}
 * characters, so that every table and constraint name stays within PostgreSQL's 63.
 *
 * @param value the prefix
 */
public record TablePrefix(String value) {

    /** The longest prefix allowed. */
    public static final int MAX_LENGTH = 40;

    /** The prefix used unless configured otherwise. */
    public static final String DEFAULT = "quark_";

    private static final Pattern ALLOWED = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /**
     * Validates the prefix.
     * @throws IllegalArgumentException when it is not allowed
     */
    public TablePrefix {
        Objects.requireNonNull(value, "value must not be null");
        String problem = problem(value);
        if (problem != null) {
            throw new IllegalArgumentException("Table prefix '" + value + "' " + problem);
        }
    }

    /**
     * Explains why a string cannot be a table prefix.
     * @param value the candidate
     * @return the reason, or {@code null} when it is allowed
     */
    public static @org.jspecify.annotations.Nullable String problem(String value) {
        if (!ALLOWED.matcher(value).matches()) {
            return "must start with a letter or '_' and contain only letters, digits and '_'";
        }
        if (value.length() > MAX_LENGTH) {
            return "must be at most " + MAX_LENGTH + " characters long";
        }
        return null;
    }

    /**
     * Returns a table's full name.
     * @param table the table's name without prefix, for instance {@code actor_state}
     * @return the prefixed name
     */
    public String table(String table) {
        return this.value + table;
    }
}
