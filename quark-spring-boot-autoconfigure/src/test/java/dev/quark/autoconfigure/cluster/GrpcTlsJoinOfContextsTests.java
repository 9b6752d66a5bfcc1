package dev.quark.autoconfigure.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.quark.actor.ActorRefFactory;
import dev.quark.autoconfigure.fixtures.wallet.Wallet;
import dev.quark.cluster.membership.SiloMembership;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.testkit.tls.TestCertificate;
import dev.quark.testkit.tls.TestCertificateAuthority;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Application contexts whose silos talk over Spring Boot's gRPC server with mutual TLS from SSL bundles: a silo
 * whose certificate another authority issued fails to start, with an error that names the silos it cannot reach
 * and the TLS failure, and never shows in the cluster's ring; a silo with a certificate of the cluster's
 * authority then joins.
 */
class GrpcTlsJoinOfContextsTests {

    private static final TestCertificateAuthority CLUSTER = TestCertificateAuthority.create("cluster-ca");

    private static final TestCertificateAuthority OTHER = TestCertificateAuthority.create("other-ca");

    private final String cluster = "tls-join-" + System.nanoTime();

    private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

    @AfterEach
    void close() {
        this.contexts.forEach(ConfigurableApplicationContext::close);
    }

    @Test
    void siloWithACertificateOfAnotherAuthorityFailsToStartNamingThePeersAndTheTlsFailure() {
        ConfigurableApplicationContext first = start("silo-0", CLUSTER.issue("silo-0"));
        Set<String> everInRing = ConcurrentHashMap.newKeySet();
        first.getBean(SiloMembership.class).subscribe((view) -> everInRing.addAll(view.ring().silos()));

        assertThatThrownBy(() -> start("rogue", OTHER.issue("rogue")))
            .hasStackTraceContaining("Silo rogue could not join the cluster: Silo rogue cannot reach 1 of the active "
                    + "silos of cluster '" + this.cluster + "'")
            .hasStackTraceContaining("silo-0@127.0.0.1:")
            .hasStackTraceContaining("certificate_required")
            .hasStackTraceContaining("TlsHandshakeException");

        assertThat(first.getBean(SiloMembership.class).current().membership().silo("rogue").orElseThrow().status())
            .isEqualTo(SiloStatus.DEAD);
        assertThat(everInRing).doesNotContain("rogue");
        ConfigurableApplicationContext second = start("silo-1", CLUSTER.issue("silo-1"));
        await().atMost(Duration.ofSeconds(10))
            .until(() -> first.getBean(SiloMembership.class).current().ring().silos().contains("silo-1"));
        String prefix = "tls-w-" + System.nanoTime() + "-";
        for (int i = 0; i < 10; i++) {
            assertThat(first.getBean(ActorRefFactory.class).get(Wallet.class, prefix + i).deposit(1)).isEqualTo(1);
            assertThat(second.getBean(ActorRefFactory.class).get(Wallet.class, prefix + i).deposit(1)).isEqualTo(2);
        }
    }

    private ConfigurableApplicationContext start(String siloId, TestCertificate certificate) {
        List<String> properties = new ArrayList<>(List.of("quark.cluster.enabled=true",
                "quark.cluster.name=" + this.cluster, "quark.cluster.silo.id=" + siloId,
                "quark.persistence.backend=memory", "quark.persistence.stores.audit.backend=memory",
                "quark.cluster.leave-timeout=10s", "quark.cluster.reachability-timeout=2s",
                "spring.main.banner-mode=off", "quark.cluster.transport.type=grpc",
                "spring.grpc.server.address=127.0.0.1",
                "spring.grpc.server.port=" + GrpcTlsClusterOfContextsTests.freePort(),
                "quark.cluster.transport.ssl.bundle=silo"));
        properties.addAll(List.of(QuarkClusterGrpcTlsAutoConfigurationTests.bundle("silo", certificate, CLUSTER)));
        ConfigurableApplicationContext context = new SpringApplicationBuilder(
                ClusterOfContextsScenarios.WalletApplication.class)
            .web(WebApplicationType.NONE)
            .properties(properties.toArray(String[]::new))
            .run();
        this.contexts.add(context);
        return context;
    }
}
