package dev.quark.samples.jobs;

import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * What report ids and customer names may be: they end up in URLs, job keys and workflow names.
 */
final class ReportIds {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,60}");

    private ReportIds() {
    }

    static String require(@Nullable String reportId) {
        return requireName("reportId", reportId);
    }

    static String requireCustomer(@Nullable String customer) {
        return requireName("customer", customer);
    }

    private static String requireName(String what, @Nullable String value) {
        if (value == null || !NAME.matcher(value).matches()) {
            throw new IllegalArgumentException(what + " must be 1 to 60 letters, digits, '_' or '-', was "
                    + ((value != null) ? "'" + value + "'" : "missing"));
        }
        return value;
    }
}
