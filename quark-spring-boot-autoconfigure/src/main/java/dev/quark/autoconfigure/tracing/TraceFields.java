package dev.quark.autoconfigure.tracing;

import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * The metadata keys a tracer's propagator reads and writes, and the check of a W3C {@code traceparent} before
 * it is handed to the tracer.
 */
final class TraceFields {

    /** The W3C trace context header. */
    static final String TRACEPARENT = "traceparent";

    /** {@code 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>}: version 00's length, a later one's least. */
    private static final int TRACEPARENT_LENGTH = 55;

    private TraceFields() {
    }

    static boolean anyIn(List<String> fields, Map<String, String> metadata) {
        for (String field : fields) {
            if (metadata.containsKey(field)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Tells whether a {@code traceparent} is well formed (W3C Trace Context): lower-case hex fields of the right
     * lengths, a trace id and a span id not all zeros. Version {@code 00} is exactly 55 characters long; a
     * later version (not {@code ff}, which is invalid) may be longer, with a {@code '-'} after its flags
     * followed by fields this version does not know, which the tracer is given as they are.
     * @param traceparent the value, {@code null} when absent
     * @return whether the tracer may be given it
     */
    static boolean isWellFormedTraceparent(@Nullable String traceparent) {
        if (traceparent == null || traceparent.length() < TRACEPARENT_LENGTH || traceparent.charAt(2) != '-'
                || traceparent.charAt(35) != '-' || traceparent.charAt(52) != '-'
                || traceparent.startsWith("ff")) {
            return false;
        }
        if (traceparent.length() > TRACEPARENT_LENGTH
                && (traceparent.startsWith("00") || traceparent.charAt(TRACEPARENT_LENGTH) != '-')) {
            return false;
        }
        return isHex(traceparent, 0, 2) && isHex(traceparent, 3, 35) && isHex(traceparent, 36, 52)
                && isHex(traceparent, 53, 55) && !isZeros(traceparent, 3, 35) && !isZeros(traceparent, 36, 52);
    }

    private static boolean isHex(String value, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = value.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isZeros(String value, int from, int to) {
        for (int i = from; i < to; i++) {
            if (value.charAt(i) != '0') {
                return false;
            }
        }
        return true;
    }
}
