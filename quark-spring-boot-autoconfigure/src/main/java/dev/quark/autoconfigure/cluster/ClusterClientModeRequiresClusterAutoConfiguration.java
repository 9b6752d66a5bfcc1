package dev.quark.autoconfigure.cluster;

import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Fails the start of an application that asks to be a cluster client ({@code quark.cluster.mode=client}) without
 * {@code quark.cluster.enabled=true}. Without it, nothing of the cluster is configured and the mode would be
 * ignored: the application would run as a standalone node, activating the cluster's actors locally against the
 * store its silos share.
 */
@AutoConfiguration(before = QuarkActorsAutoConfiguration.class)
@ConditionalOnBooleanProperty(name = "quark.enabled", matchIfMissing = true)
@ConditionalOnBooleanProperty(name = "quark.cluster.enabled", havingValue = false, matchIfMissing = true)
@ConditionalOnClusterMode(QuarkClusterProperties.Mode.CLIENT)
public final class ClusterClientModeRequiresClusterAutoConfiguration {

    ClusterClientModeRequiresClusterAutoConfiguration() {
        throw new InvalidConfigurationPropertyValueException(OnClusterModeCondition.PROPERTY, "client",
                "A cluster client needs quark.cluster.enabled=true as well; without it the application would run "
                        + "as a standalone node and activate the cluster's actors locally");
    }
}
