package dev.quark.autoconfigure.cluster;

import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * A cluster of contexts whose membership table is in memory, shared by cluster name in the JVM.
 */
class InMemoryClusterOfContextsTests extends ClusterOfContextsScenarios {

    @Override
    @Nullable Class<?> backendConfiguration() {
        return null;
    }

    @Override
    List<String> backendProperties() {
        return List.of();
    }
}
