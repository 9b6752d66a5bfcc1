package dev.quark.actor;

import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * A call to an actor on another silo was refused by the transport because the call itself breaks the transport's
 * rules: its envelope is larger than {@code quark.cluster.transport.max-message-size}, or beyond the bounds every
 * silo receives envelopes within (too much metadata, an actor id or a metadata key too long, a blank metadata key).
 * The refused call ({@link #getActor()}, {@link #getMethod()}) was not delivered and did not run, unless it was
 * its answer that was refused (a result or failure larger than the answering silo's maximum message size; the
 * message says "answer"): the call ran, and its caller gets this at once rather than waiting for its deadline.
 * <p>
 * A turn on another silo may let this exception escape from a call it made itself: its caller then gets the
 * exception naming that other actor, for a call of its own that did run. "Not delivered" holds for the call made
 * when {@link #getActor()} and {@link #getMethod()} are the actor and method called.
 * <p>
 * <b>Not retryable.</b> The same call is refused again, however often and wherever it is sent: it is an
 * application bug (arguments or request metadata too large, a call filter adding a blank key), to be fixed in the
 * caller, not a failure of the cluster. Quark neither routes it again nor retries it, also for
 * {@link Idempotent} methods, and it is not a {@code SiloUnavailableException}, which callers may retry. A one-way
 * call refused by its own silo throws it to its caller at once.
 */
public class CallRejectedException extends ActorException {

    private static final long serialVersionUID = 1L;

    private final String actor;

    private final String method;

    private final Reason reason;

    /**
     * Creates the exception.
     * @param actor the actor, as {@code Contract/id}
     * @param method the method name
     * @param reason what the call was refused for
     * @param message the detail message
     * @param cause what the transport refused it with, if any
     */
    public CallRejectedException(String actor, String method, Reason reason, String message,
            @Nullable Throwable cause) {
        super(message, cause);
        this.actor = Objects.requireNonNull(actor, "actor must not be null");
        this.method = Objects.requireNonNull(method, "method must not be null");
        this.reason = Objects.requireNonNull(reason, "reason must not be null");
    }

    /**
     * Returns the actor that was called.
     * @return the actor, as {@code Contract/id}
     */
    public String getActor() {
        return this.actor;
    }

    /**
     * Returns the name of the method that was called.
     * @return the method name, or its id in hex ({@code 0x3b15b4d5}) when the silo that refused a call it passed
     * on does not know the method
     */
    public String getMethod() {
        return this.method;
    }

    /**
     * Returns what the call was refused for.
     * @return the reason
     */
    public Reason getReason() {
        return this.reason;
    }

    /**
     * What a call was refused for.
     */
    public enum Reason {

        /** Its envelope is larger than the sending or the receiving silo's maximum message size. */
        TOO_LARGE,

        /** Its envelope is beyond the bounds every silo receives envelopes within (metadata, name lengths). */
        BEYOND_BOUNDS
    }
}
