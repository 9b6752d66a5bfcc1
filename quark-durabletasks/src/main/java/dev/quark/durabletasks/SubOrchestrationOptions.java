package dev.quark.durabletasks;

import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * How a sub-orchestration is started. Immutable.
 *
 * @param instanceId the child's instance id, {@code null} for {@code <parent id>:<execution>:<task id>}
 * @param parentClosePolicy what happens to the child when the parent closes while it still runs
 */
public record SubOrchestrationOptions(@Nullable String instanceId, ParentClosePolicy parentClosePolicy) {

    /** The default instance id; the child is terminated when the parent closes first. */
    public static final SubOrchestrationOptions DEFAULTS = new SubOrchestrationOptions(null,
            ParentClosePolicy.TERMINATE);

    /**
     * Validates the options.
     */
    public SubOrchestrationOptions {
        Objects.requireNonNull(parentClosePolicy, "parentClosePolicy must not be null");
    }

    /**
     * Returns these options with an instance id.
     * @param instanceId the child's id, {@code null} for the default
     * @return the options
     */
    public SubOrchestrationOptions withInstanceId(@Nullable String instanceId) {
        return new SubOrchestrationOptions(instanceId, this.parentClosePolicy);
    }

    /**
     * Returns these options with a parent-close policy.
     * @param policy what happens to the child when the parent closes while it still runs
     * @return the options
     */
    public SubOrchestrationOptions withParentClosePolicy(ParentClosePolicy policy) {
        return new SubOrchestrationOptions(this.instanceId, policy);
    }
}
