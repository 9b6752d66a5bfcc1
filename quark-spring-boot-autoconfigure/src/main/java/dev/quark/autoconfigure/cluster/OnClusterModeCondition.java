package dev.quark.autoconfigure.cluster;

/**
 * The condition behind {@link ConditionalOnClusterMode}: binds {@code quark.cluster.mode} with Spring Boot's
 * binder, so that it matches exactly the values {@link QuarkClusterProperties} accepts.
 */
class OnClusterModeCondition extends OnEnumPropertyCondition<QuarkClusterProperties.Mode> {

    static final String PROPERTY = "quark.cluster.mode";

    OnClusterModeCondition() {
        super(PROPERTY, QuarkClusterProperties.Mode.class, QuarkClusterProperties.Mode.SILO,
                ConditionalOnClusterMode.class, "a cluster mode");
    }
}
