package dev.quark.cluster.transport.jackson;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * The typed fields of one of Quark's exceptions as they travel beside its type and message: texts, whole
 * numbers and lists of texts by name. Written by {@link QuarkExceptionTypes} (and the modules'
 * {@link ExceptionTypeContributor}s) on the sending silo, read back there on the receiving one; a field that is
 * missing or of another kind reads as absent.
 */
public final class FailureFields {

    /** No fields. */
    static final FailureFields NONE = new FailureFields(Map.of());

    /** At most this many fields are written or read. */
    static final int MAX_FIELDS = 16;

    /** At most this many texts in a list field. */
    static final int MAX_LIST_SIZE = 256;

    private final Map<String, Object> values;

    private FailureFields(Map<String, Object> values) {
        this.values = values;
    }

    static Builder builder() {
        return new Builder();
    }

    Map<String, Object> values() {
        return this.values;
    }

    boolean isEmpty() {
        return this.values.isEmpty();
    }

    /** Returns a text field, {@code null} when absent or not a text. */
    public @Nullable String text(String name) {
        return (this.values.get(name) instanceof String text) ? text : null;
    }

    /** Returns a text field, failing when it is absent (the exception then arrives as a remote one). */
    public String requiredText(String name) {
        String text = text(name);
        if (text == null) {
            throw new IllegalArgumentException("the failure has no text field '" + name + "'");
        }
        return text;
    }

    /** Returns a number field, failing when it is absent. */
    public long requiredNumber(String name) {
        if (this.values.get(name) instanceof Long number) {
            return number;
        }
        throw new IllegalArgumentException("the failure has no number field '" + name + "'");
    }

    /** Returns whether a field is present. */
    public boolean has(String name) {
        return this.values.containsKey(name);
    }

    /** Returns a list field, failing when it is absent. */
    @SuppressWarnings("unchecked")
    public List<String> requiredTexts(String name) {
        if (this.values.get(name) instanceof List<?> texts) {
            return (List<String>) texts;
        }
        throw new IllegalArgumentException("the failure has no list field '" + name + "'");
    }

    /** Collects fields in the order they are written. */
    public static final class Builder {

        private final Map<String, Object> values = new LinkedHashMap<>();

        /** Adds a text; {@code null} adds nothing. */
        public Builder text(String name, @Nullable String value) {
            if (value != null) {
                this.values.put(name, value);
            }
            return this;
        }

        /** Adds a whole number. */
        public Builder number(String name, long value) {
            this.values.put(name, value);
            return this;
        }

        /** Adds a list of texts. */
        public Builder texts(String name, List<String> value) {
            this.values.put(name, List.copyOf(value));
            return this;
        }

        FailureFields build() {
            return this.values.isEmpty() ? NONE : new FailureFields(Map.copyOf(this.values));
        }

        /** Adds a field read from the wire; values of other kinds were skipped by the reader. */
        Builder read(String name, Object value) {
            if (this.values.size() < MAX_FIELDS) {
                this.values.put(name, value);
            }
            return this;
        }
    }
}
