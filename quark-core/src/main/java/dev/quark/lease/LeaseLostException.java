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
     * Creates the exception.
     * @param resource the resource
     * @param token the token that is no longer current
     * @param currentHolder who holds the resource now, or {@code null} when nobody does or it is not known
     */
    public LeaseLostException(String resource, FencingToken token, @Nullable LeaseHolder currentHolder) {
        super(message(resource, token, currentHolder));
        this.resource = resource;
        this.token = token;
        this.currentHolder = currentHolder;
    }

    private static String message(String resource, FencingToken token, @Nullable LeaseHolder holder) {
        String now = (holder != null) ? "'" + holder.owner() + "' holds it with token " + holder.token()
                : "nobody holds it (the lease expired or was released)";
        return "The lease on '" + resource + "' with fencing token " + token + " is no longer held: " + now;
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
     * @return the holder, or {@code null} when nobody held it or it is not known
     */
    public @Nullable LeaseHolder getCurrentHolder() {
        return this.currentHolder;
    }
}
