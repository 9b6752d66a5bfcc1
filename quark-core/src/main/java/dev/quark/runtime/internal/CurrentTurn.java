package dev.quark.runtime.internal;

import org.jspecify.annotations.Nullable;

/**
 * The invocation whose turn the current thread is running, if any. Calls made from inside a turn inherit
 * its call chain, request id and metadata.
 */
final class CurrentTurn {

    private static final ThreadLocal<@Nullable Invocation> CURRENT = new ThreadLocal<>();

    private CurrentTurn() {
    }

    static @Nullable Invocation get() {
        return CURRENT.get();
    }

    static void enter(Invocation invocation) {
        CURRENT.set(invocation);
    }

    static void exit() {
        CURRENT.set(null);
    }
}
