package dev.quark.cluster.transport.jackson;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Which exception types a failure from another silo may be rebuilt as, decided on the name alone, before any
 * class is loaded: Quark's own ({@code dev.quark.}), a fixed set of the JDK's common exceptions, and the
 * packages the application names (with their sub-packages). Anything else, and any name that is not a
 * well-formed Java class name of at most {@link #MAX_TYPE_NAME_LENGTH} characters, is refused.
 */
final class ExceptionAllowList {

    /** The longest type name that may be rebuilt; longer names are refused without a look-up. */
    static final int MAX_TYPE_NAME_LENGTH = 512;

    /** The JDK's exceptions that are rebuilt as themselves. */
    static final Set<String> JDK_TYPES = Set.of("java.lang.Exception", "java.lang.RuntimeException",
            "java.lang.IllegalArgumentException", "java.lang.IllegalStateException",
            "java.lang.UnsupportedOperationException", "java.lang.NullPointerException",
            "java.lang.ArithmeticException", "java.lang.IndexOutOfBoundsException",
            "java.lang.ArrayIndexOutOfBoundsException", "java.lang.StringIndexOutOfBoundsException",
            "java.lang.NumberFormatException", "java.lang.ClassCastException", "java.lang.ArrayStoreException",
            "java.lang.NegativeArraySizeException", "java.lang.SecurityException",
            "java.util.NoSuchElementException", "java.util.ConcurrentModificationException",
            "java.util.InputMismatchException", "java.util.concurrent.TimeoutException",
            "java.util.concurrent.CancellationException", "java.util.concurrent.RejectedExecutionException",
            "java.io.IOException", "java.io.UncheckedIOException", "java.io.FileNotFoundException",
            "java.io.EOFException", "java.time.DateTimeException");

    private static final String QUARK_PACKAGE = "dev.quark.";

    /** Each ending with a dot. */
    private final List<String> packages;

    /**
     * @param applicationPackages package names whose exceptions (and those of their sub-packages) are rebuilt
     * @throws IllegalArgumentException naming a value that is not a package name
     */
    ExceptionAllowList(Collection<String> applicationPackages) {
        List<String> packages = new ArrayList<>();
        packages.add(QUARK_PACKAGE);
        for (String name : Objects.requireNonNull(applicationPackages, "applicationPackages must not be null")) {
            String trimmed = (name != null) ? name.strip() : "";
            if (trimmed.endsWith(".")) {
                trimmed = trimmed.substring(0, trimmed.length() - 1);
            }
            if (!isBinaryName(trimmed, MAX_TYPE_NAME_LENGTH) || trimmed.indexOf('$') >= 0) {
                throw new IllegalArgumentException("Allowed exception package '" + name
                        + "' is not a package name such as com.example.bank");
            }
            packages.add(trimmed + ".");
        }
        this.packages = List.copyOf(packages);
    }

    /**
     * Returns whether a failure of the given type may be rebuilt as that type.
     * @param typeName the fully qualified (binary) class name the sender wrote
     */
    boolean allows(String typeName) {
        if (!isBinaryName(typeName, MAX_TYPE_NAME_LENGTH)) {
            return false;
        }
        if (JDK_TYPES.contains(typeName)) {
            return true;
        }
        for (String prefix : this.packages) {
            if (typeName.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /** Dot-separated Java identifiers (with {@code $} for nested classes), no empty segment. */
    private static boolean isBinaryName(String name, int maxLength) {
        int length = name.length();
        if (length == 0 || length > maxLength) {
            return false;
        }
        boolean segmentStart = true;
        for (int i = 0; i < length; i++) {
            char c = name.charAt(i);
            if (c == '.') {
                if (segmentStart) {
                    return false;
                }
                segmentStart = true;
            }
            else if (!Character.isIdentifierIgnorable(c)
                    && (segmentStart ? Character.isJavaIdentifierStart(c) : Character.isJavaIdentifierPart(c))) {
                segmentStart = false;
            }
            else {
                return false;
            }
        }
        return !segmentStart;
    }
}
