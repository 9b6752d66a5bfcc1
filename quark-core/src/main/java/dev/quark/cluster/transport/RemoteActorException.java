package dev.quark.cluster.transport;

import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * What a call that failed on another silo completes with when the failure's type is not one this silo
 * rebuilds: the original type name and message, never an instance of a class the sender names.
 */
public class RemoteActorException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String remoteType;

    /**
     * Creates an exception.
     * @param remoteType the fully qualified name of the exception thrown on the other silo
     * @param remoteMessage its message, {@code null} when it had none
     */
    public RemoteActorException(String remoteType, @Nullable String remoteMessage) {
        super(remoteType + ((remoteMessage != null) ? ": " + remoteMessage : ""));
        this.remoteType = Objects.requireNonNull(remoteType, "remoteType must not be null");
    }

    /**
     * Returns the type of the exception thrown on the other silo.
     * @return its fully qualified class name
     */
    public String remoteType() {
        return this.remoteType;
    }
}
