package dev.quark.autoconfigure.state;

import org.jspecify.annotations.Nullable;

import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;

/**
 * Native-image hints of persistent state that do not depend on the application: Quark's Liquibase changelogs.
 * The hints of each actor's state types come from
 * {@link dev.quark.autoconfigure.actors.ActorRuntimeHints#registerActor}.
 */
class QuarkStateRuntimeHints implements RuntimeHintsRegistrar {

    @Override
    public void registerHints(RuntimeHints hints, @Nullable ClassLoader classLoader) {
        hints.resources().registerPattern("db/changelog/quark/*.xml");
    }
}
