package dev.quark.testkit.state;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.QuarkActor;
import dev.quark.state.ActorState;
import dev.quark.state.PersistentState;
import dev.quark.supervision.Backoff;
import dev.quark.supervision.Directive;
import dev.quark.supervision.SupervisorStrategy;
import dev.quark.testkit.ActorTestKit;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/**
 * A supervision restart activates a fresh instance through the same path as any activation, so the state
 * hook loads the saved state into it and the failed turn's unsaved change is gone.
 */
class PersistentStateSupervisionTests {

    private static final AtomicInteger instances = new AtomicInteger();

    @Test
    void restartedChildStartsFromItsSavedState() {
        try (ActorTestKit kit = ActorTestKit.builder().actor(BankActor.class).actor(VaultActor.class).build()) {
            kit.get(Bank.class, "bank").open("vault-1");
            Vault vault = kit.get(Vault.class, "vault-1");
            assertThat(vault.add(5)).isEqualTo(5);
            int before = vault.instance();

            assertThatIllegalStateException().isThrownBy(() -> vault.addWithoutSavingAndFail(100)).withMessage("vault broke");

            await().atMost(Duration.ofSeconds(5)).until(() -> vault.instance() != before);
            assertThat(vault.loadedOnActivate()).as("the fresh instance loaded the saved state").isEqualTo(5);
            assertThat(vault.add(1)).as("the unsaved change died with the old instance").isEqualTo(6);
        }
    }

    public interface Bank extends Actor {

        void open(String vaultId);
    }

    public interface Vault extends Actor {

        long add(long amount);

        long addWithoutSavingAndFail(long amount);

        long loadedOnActivate();

        int instance();
    }

    @QuarkActor
    public static class BankActor extends AbstractActor implements Bank {

        @Override
        protected SupervisorStrategy supervisorStrategy() {
            return SupervisorStrategy.oneForOne().decider((failure) -> Directive.RESTART).backoff(Backoff.NONE).build();
        }

        @Override
        public void open(String vaultId) {
            spawnChild(Vault.class, vaultId);
        }
    }

    @QuarkActor
    public static class VaultActor extends AbstractActor implements Vault {

        private final int instance = instances.incrementAndGet();

        @ActorState
        private PersistentState<Long> amount;

        private long loadedOnActivate;

        @Override
        protected void onActivate() {
            this.loadedOnActivate = this.amount.getOrElse(0L);
        }

        @Override
        public long add(long more) {
            long next = this.amount.update(0L, (current) -> current + more);
            this.amount.save();
            return next;
        }

        @Override
        public long addWithoutSavingAndFail(long more) {
            this.amount.update(0L, (current) -> current + more);
            throw new IllegalStateException("vault broke");
        }

        @Override
        public long loadedOnActivate() {
            return this.loadedOnActivate;
        }

        @Override
        public int instance() {
            return this.instance;
        }
    }
}
