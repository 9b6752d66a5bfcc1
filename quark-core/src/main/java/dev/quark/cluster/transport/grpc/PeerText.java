package dev.quark.cluster.transport.grpc;

import org.jspecify.annotations.Nullable;

/**
 * Text a peer chose (a refusal's reason naming its ids, an unreadable frame's parse error, a {@code Hello}'s
 * names), made safe to log and to write back: control characters (newlines included, so a peer cannot forge log
 * lines) are escaped as {@code \n}, {@code \r}, {@code \t} or {@code \}{@code uXXXX}, and the text is cut at
 * {@link #MAX_LENGTH} characters, saying how many were cut.
 */
final class PeerText {

    /** The longest text kept, in characters after escaping. */
    static final int MAX_LENGTH = 512;

    private PeerText() {
    }

    /**
     * Returns {@code text} with its control characters escaped, cut at {@link #MAX_LENGTH} characters.
     * @param text a peer's text, or {@code null}
     * @return the text to log or write back ({@code "null"} for {@code null})
     */
    static String safe(@Nullable String text) {
        if (text == null) {
            return "null";
        }
        if (text.length() <= MAX_LENGTH && text.chars().noneMatch(PeerText::escaped)) {
            return text;
        }
        StringBuilder safe = new StringBuilder(Math.min(text.length(), MAX_LENGTH) + 40);
        int read = 0;
        while (read < text.length() && safe.length() < MAX_LENGTH) {
            char c = text.charAt(read++);
            switch (c) {
                case '\n' -> safe.append("\\n");
                case '\r' -> safe.append("\\r");
                case '\t' -> safe.append("\\t");
                default -> {
                    if (escaped(c)) {
                        safe.append(String.format("\\u%04x", (int) c));
                    }
                    else {
                        safe.append(c);
                    }
                }
            }
        }
        if (read < text.length()) {
            safe.append("... (").append(text.length() - read).append(" more characters cut)");
        }
        return safe.toString();
    }

    /** Control characters, and the line and paragraph separators some log viewers break lines at. */
    private static boolean escaped(int c) {
        return Character.isISOControl(c) || c == '\u2028' || c == '\u2029';
    }
}
