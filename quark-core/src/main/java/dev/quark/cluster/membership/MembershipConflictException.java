package dev.quark.cluster.membership;

/**
 * A change to the membership table lost the race against other silos' writes more often than it retries.
 * The agent retries on its next round; for a joining silo, the join fails.
 */
public class MembershipConflictException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message what gave up
     */
    public MembershipConflictException(String message) {
        super(message);
    }
}
