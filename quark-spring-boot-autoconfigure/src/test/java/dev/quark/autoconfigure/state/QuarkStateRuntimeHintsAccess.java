package dev.quark.autoconfigure.state;

import org.springframework.aot.hint.RuntimeHints;

/**
 * Opens the package-private hints registrar to tests in other packages.
 */
public final class QuarkStateRuntimeHintsAccess {

    public void register(RuntimeHints hints) {
        new QuarkStateRuntimeHints().registerHints(hints, getClass().getClassLoader());
    }
}
