package dev.quark.autoconfigure.state;

import java.time.Duration;

import dev.quark.actor.ActivationException;
import dev.quark.actor.ActorRefFactory;
import dev.quark.autoconfigure.fixtures.wallet.Wallet;
import dev.quark.state.StateStoreException;
import dev.quark.testkit.server.TcpProxy;

import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * The outage every state backend must survive: while the proxy in front of its server is cut, calls that
 * save or load state fail clearly and health is {@code DOWN}; once restored, both recover and no failed
 * write was kept.
 */
final class StoreOutage {

    private StoreOutage() {
    }

    /**
     * Runs the outage against a context whose state store reaches its server through {@code proxy}.
     * @param backendHealth the bean name of the backend's own health contributor
     */
    static void failsClearlyThenRecovers(ApplicationContext context, TcpProxy proxy, String backendHealth) {
        ActorRefFactory actors = context.getBean(ActorRefFactory.class);
        Wallet wallet = actors.get(Wallet.class, "outage");
        assertThat(wallet.deposit(1)).isEqualTo(1);
        assertThat(HealthProbe.status(context, "quarkStateHealthContributor")).isEqualTo(Status.UP);

        proxy.cut();
        try {
            StateStoreException failure = catchThrowableOfType(StateStoreException.class, () -> wallet.deposit(1));
            assertThat(failure).hasMessageStartingWith("Could not save state wallet/outage/wallet in store 'default'");
            assertThatExceptionOfType(ActivationException.class)
                .isThrownBy(() -> actors.get(Wallet.class, "outage-new").balance())
                .withMessageContaining("wallet/outage-new")
                .withCauseInstanceOf(StateStoreException.class);
            assertThat(HealthProbe.status(context, "quarkStateHealthContributor")).isEqualTo(Status.DOWN);
            assertThat(HealthProbe.status(context, backendHealth)).isEqualTo(Status.DOWN);
        }
        finally {
            proxy.restore();
        }

        await().atMost(Duration.ofSeconds(30))
            .untilAsserted(() -> assertThat(HealthProbe.status(context, "quarkStateHealthContributor"))
                .isEqualTo(Status.UP));
        assertThat(HealthProbe.status(context, backendHealth)).isEqualTo(Status.UP);
        assertThat(wallet.deposit(1)).as("the failed deposit was neither written nor kept in memory").isEqualTo(2);
        assertThat(actors.get(Wallet.class, "outage-new").deposit(5)).isEqualTo(5);
    }
}
