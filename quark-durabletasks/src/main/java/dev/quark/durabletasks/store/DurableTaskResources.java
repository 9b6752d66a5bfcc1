package dev.quark.durabletasks.store;

/**
 * The lease resources durable tasks claim their work with, in the lease store that all areas share.
 */
public final class DurableTaskResources {

    /** The prefix of every resource of durable tasks. */
    public static final String PREFIX = "durabletasks:";

    private static final String INSTANCE = PREFIX + "instance:";

    private static final String ACTIVITY = PREFIX + "activity:";

    private DurableTaskResources() {
    }

    /**
     * Returns the resource of an instance's steps.
     * @param instanceId the instance
     * @return {@code durabletasks:instance:<id>}
     */
    public static String instance(String instanceId) {
        return INSTANCE + instanceId;
    }

    /**
     * Returns the resource of an activity call.
     * @param activityId the call's id
     * @return {@code durabletasks:activity:<id>}
     */
    public static String activity(String activityId) {
        return ACTIVITY + activityId;
    }
}
