package dev.quark.autoconfigure.cluster;

/**
 * The condition behind {@link ConditionalOnTransportType}: binds {@code quark.cluster.transport.type} with
 * Spring Boot's binder, so that it matches exactly the values {@link QuarkClusterProperties} accepts.
 */
class OnTransportTypeCondition extends OnEnumPropertyCondition<QuarkClusterProperties.TransportType> {

    static final String PROPERTY = "quark.cluster.transport.type";

    OnTransportTypeCondition() {
        super(PROPERTY, QuarkClusterProperties.TransportType.class, QuarkClusterProperties.TransportType.IN_JVM,
                ConditionalOnTransportType.class, "a transport");
    }
}
