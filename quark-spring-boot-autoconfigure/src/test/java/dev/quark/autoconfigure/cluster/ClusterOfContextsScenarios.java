package dev.quark.autoconfigure.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.quark.actor.ActorRefFactory;
import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.fixtures.wallet.Wallet;
import dev.quark.autoconfigure.fixtures.wallet.WalletActor;
import dev.quark.autoconfigure.state.QuarkStateAutoConfiguration;
import dev.quark.cluster.membership.SiloMembership;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.runtime.ActorRuntime;
import dev.quark.state.memory.InMemoryStateStore;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.grpc.server.autoconfigure.GrpcServerAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three application contexts in one JVM form a cluster over the transport of the subclass (in-JVM unless it
 * says otherwise), with a membership table on the backend of the subclass and a state store they share as a database would be.
 */
abstract class ClusterOfContextsScenarios {

    private static final InMemoryStateStore SHARED_STATES = new InMemoryStateStore();

    final String cluster = "contexts-" + System.nanoTime();

    private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

    @AfterEach
    void close() {
        this.contexts.forEach(ConfigurableApplicationContext::close);
    }

    @Test
    void callsFromEveryContextReachOneActivationAndItsStateMovesWhenItsSiloLeaves() {
        for (int i = 0; i < 3; i++) {
            this.contexts.add(start("silo-" + i));
        }
        await().atMost(Duration.ofSeconds(10))
            .until(() -> this.contexts.stream()
                .allMatch((context) -> context.getBean(SiloMembership.class).current().membership()
                    .withStatus(SiloStatus.ACTIVE).size() == 3));
        String id = "w-" + System.nanoTime();
        long expected = 0;
        for (int round = 0; round < 2; round++) {
            for (ConfigurableApplicationContext context : this.contexts) {
                expected += 10;
                assertThat(context.getBean(ActorRefFactory.class).get(Wallet.class, id).deposit(10)).isEqualTo(expected);
            }
        }
        ConfigurableApplicationContext owner = onlyActivation(this.contexts, id);
        this.contexts.remove(owner);
        owner.close();
        await().atMost(Duration.ofSeconds(10))
            .until(() -> this.contexts.stream()
                .allMatch((context) -> context.getBean(SiloMembership.class).current().membership()
                    .withStatus(SiloStatus.ACTIVE).size() == 2));
        for (ConfigurableApplicationContext context : this.contexts) {
            expected += 1;
            assertThat(context.getBean(ActorRefFactory.class).get(Wallet.class, id).deposit(1)).isEqualTo(expected);
        }
        onlyActivation(this.contexts, id);
        assertThat(this.contexts.get(0).getBean(ActorRefFactory.class).get(Wallet.class, id).balanceOnActivate())
            .isEqualTo(60);
    }

    private static ConfigurableApplicationContext onlyActivation(List<ConfigurableApplicationContext> contexts,
            String id) {
        List<ConfigurableApplicationContext> hosting = contexts.stream()
            .filter((context) -> context.getBean(ActorRuntime.class).isActive(Wallet.class, id))
            .toList();
        assertThat(hosting).hasSize(1);
        return hosting.get(0);
    }

    /**
     * Returns the configuration that gives the contexts their membership backend's connection.
     * @return a configuration class, or {@code null} for the in-memory table
     */
    abstract @Nullable Class<?> backendConfiguration();

    /**
     * Returns the properties that select and reach the membership backend.
     * @return properties as {@code name=value}
     */
    abstract List<String> backendProperties();

    /**
     * Returns the properties that choose the transport between the silos.
     * @param siloId the silo
     * @return properties as {@code name=value}; none for the in-JVM transport
     */
    List<String> transportProperties(String siloId) {
        return List.of();
    }

    /**
     * Starts a silo's context; the caller closes it.
     * @param siloId the silo
     * @param extraSources more configuration classes
     * @return the started context
     */
    ConfigurableApplicationContext start(String siloId, Class<?>... extraSources) {
        List<Class<?>> sources = new ArrayList<>(List.of(WalletApplication.class));
        sources.addAll(List.of(extraSources));
        Class<?> backend = backendConfiguration();
        if (backend != null) {
            sources.add(backend);
        }
        List<String> properties = new ArrayList<>(List.of("quark.cluster.enabled=true",
                "quark.cluster.name=" + this.cluster, "quark.cluster.silo.id=" + siloId,
                "quark.persistence.backend=memory", "quark.persistence.stores.audit.backend=memory",
                "quark.cluster.leave-timeout=10s", "spring.main.banner-mode=off"));
        properties.addAll(backendProperties());
        properties.addAll(transportProperties(siloId));
        return new SpringApplicationBuilder(sources.toArray(Class<?>[]::new)).web(WebApplicationType.NONE)
            .properties(properties.toArray(String[]::new))
            .run();
    }

    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage(basePackageClasses = WalletActor.class)
    @ImportAutoConfiguration({ JacksonAutoConfiguration.class, QuarkActorsAutoConfiguration.class,
            QuarkBackendAutoConfiguration.class, QuarkStateAutoConfiguration.class,
            QuarkClusterAutoConfiguration.class, QuarkClusterGrpcAutoConfiguration.class,
            SslAutoConfiguration.class, GrpcServerAutoConfiguration.class })
    static class WalletApplication {

        @Bean("quarkInMemoryStateStore")
        InMemoryStateStore quarkInMemoryStateStore() {
            return SHARED_STATES;
        }
    }
}
