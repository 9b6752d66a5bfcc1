package dev.quark.actor;

import java.util.Map;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * A request id and metadata that a caller attaches to the actor calls it makes on the current thread.
 * <pre>{@code
 * try (RequestContext.Scope scope = RequestContext.of("req-42", Map.of("tenant", "acme")).open()) {
 *     accounts.get(Account.class, "alice").deposit(10);   // the actor sees req-42 and tenant=acme
 * }
 * }</pre>
 * Opened inside a turn, it replaces the request id and metadata that nested calls carry; the call chain
 * stays the same.
 *
 * @param requestId the request id, not blank
 * @param metadata metadata propagated with every call, copied
 */
public record RequestContext(String requestId, Map<String, String> metadata) {

    private static final ThreadLocal<@Nullable RequestContext> CURRENT = new ThreadLocal<>();

    /**
     * Validates and copies the components.
     * @param requestId the request id, not blank
     * @param metadata metadata propagated with every call
     */
    public RequestContext {
        Objects.requireNonNull(requestId, "requestId must not be null");
        if (requestId.isBlank()) {
            throw new IllegalArgumentException("requestId must not be blank");
        }
        metadata = Map.copyOf(metadata);
    }

    /**
     * Creates a context with the given request id and metadata.
     * @param requestId the request id, not blank
     * @param metadata metadata propagated with every call
     * @return the context
     */
    public static RequestContext of(String requestId, Map<String, String> metadata) {
        return new RequestContext(requestId, metadata);
    }

    /**
     * Creates a context with the given request id and no metadata.
     * @param requestId the request id, not blank
     * @return the context
     */
    public static RequestContext of(String requestId) {
        return new RequestContext(requestId, Map.of());
    }

    /**
     * Returns the context open on the current thread.
     * @return the open context, or {@code null} when none is open
     */
    public static @Nullable RequestContext current() {
        return CURRENT.get();
    }

    /**
     * Makes this context the current one until the returned scope is closed; scopes nest.
     * @return the scope to close, in a try-with-resources block
     */
    public Scope open() {
        RequestContext previous = CURRENT.get();
        CURRENT.set(this);
        return () -> {
            if (previous == null) {
                CURRENT.remove();
            }
            else {
                CURRENT.set(previous);
            }
        };
    }

    /**
     * An open {@link RequestContext}; closing it restores the previous one.
     */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {

        @Override
        void close();
    }
}
