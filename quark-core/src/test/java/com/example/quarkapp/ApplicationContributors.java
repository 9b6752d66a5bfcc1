package com.example.quarkapp;

import dev.quark.actor.ActorException;
import dev.quark.cluster.transport.jackson.ExceptionTypeContributor;

/**
 * Exception type contributors as an application writes them (outside Quark's packages), adding types that Quark
 * adds too.
 */
public final class ApplicationContributors {

    private ApplicationContributors() {
    }

    /** Adds one of quark-core's types. */
    public static final class CoreType implements ExceptionTypeContributor {

        @Override
        public void contribute(Table table) {
            table.addMessageOnly(ActorException.class, (message, cause) -> new ActorException("application's"));
        }
    }

    /** Adds a type that a contributor in a Quark package adds too. */
    public static final class SharedType implements ExceptionTypeContributor {

        private final Class<? extends Exception> type;

        public SharedType() {
            this(sharedType());
        }

        SharedType(Class<? extends Exception> type) {
            this.type = type;
        }

        @Override
        public void contribute(Table table) {
            table.addMessageOnly(this.type, (message, cause) -> null);
        }

        private static Class<? extends Exception> sharedType() {
            try {
                return Class.forName("dev.quark.cluster.transport.jackson.ExceptionTypeTableTests$OrderRejectedException")
                    .asSubclass(Exception.class);
            }
            catch (ClassNotFoundException ex) {
                throw new IllegalStateException(ex);
            }
        }
    }
}
