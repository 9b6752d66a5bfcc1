package dev.quark.lease;

import org.jspecify.annotations.Nullable;

/**
 * A lease is no longer held: its token is not the one of an unexpired lease on its resource. Whatever the caller
 * was about to do on behalf of the lease must not happen; another owner may be doing it.
 */
public class LeaseLostException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String resource;

    private final FencingToken token;

    private final transient @Nullable LeaseHolder currentHolder;

    /**
     * Creates the exception when the current holder is known, or not known: a write refused by fencing says the
     * lease is lost, not who took the resource, which a newer lease usually holds.
     * @param resource the resource
     * @param token the token that is no longer current
     * @param currentHolder who holds the resource now, or {@code null} when that is not known
     * @see #nobodyHolds(String, FencingToken)
     */
    public LeaseLostException(String resource, FencingToken token, @Nullable LeaseHolder currentHolder) {
        this(resource, token, currentHolder, (currentHolder != null) ? "'" + currentHolder.owner()
                + "' holds it with token " + currentHolder.token()
                : "its current holder is not known (a newer lease may hold it, or it expired or was released)");
    }

    private LeaseLostException(String resource, FencingToken token, @Nullable LeaseHolder currentHolder,
            String now) {
        super("The lease on '" + resource + "' with fencing token " + token + " is no longer held: " + now);
        this.resource = resource;
        this.token = token;
        this.currentHolder = currentHolder;
    }

    /**
     * Rebuilds the exception as it crossed silos, with the message it had there.
     * @param message the message of the original exception
     * @param resource the resource
     * @param token the token that is no longer current
     * @param currentHolder who held the resource, or {@code null} when nobody did or it was not known
     * @return the exception
     */
    public static LeaseLostException crossedSilos(String message, String resource, FencingToken token,
            @Nullable LeaseHolder currentHolder) {
        return new LeaseLostException(message, resource, token, currentHolder);
    }

    private LeaseLostException(String message, String resource, FencingToken token,
            @Nullable LeaseHolder currentHolder) {
        super(message);
        this.resource = resource;
        this.token = token;
        this.currentHolder = currentHolder;
    }

    /**
     * Creates the exception when the store was asked and nobody holds the resource: the lease expired or was
     * released, and no other lease took the resource since.
     * @param resource the resource
     * @param token the token that is no longer current
     * @return the exception
     */
    public static LeaseLostException nobodyHolds(String resource, FencingToken token) {
        return new LeaseLostException(resource, token, null, "nobody holds it (the lease expired or was released)");
    }

    /**
     * Returns the resource.
     * @return the resource
     */
    public String getResource() {
        return this.resource;
    }

    /**
     * Returns the token that is no longer current.
     * @return the stale token
     */
    public FencingToken getToken() {
        return this.token;
    }

    /**
     * Returns who held the resource when the loss was noticed.
     * @return the holder, or {@code null} when nobody held it or it is not known (the message says which)
     */
    public @Nullable LeaseHolder getCurrentHolder() {
        return this.currentHolder;
    }
}
