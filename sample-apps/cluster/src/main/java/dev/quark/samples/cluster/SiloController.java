package dev.quark.samples.cluster;

import java.util.List;

import dev.quark.cluster.membership.SiloMembership;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.reminder.ReminderBucketSet;
import dev.quark.reminder.ReminderBuckets;
import dev.quark.reminder.ReminderTickManager;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.ActorTypeView;
import dev.quark.samples.bank.Account;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /silo?accounts=alice,bob}: this silo as it sees itself — its id, its membership state, how many
 * silos its view has active, how many accounts are active here, and which of the accounts asked about are.
 * It only reads: asking does not activate anything. Not in a cluster client ({@link ClientController}).
 * <p>
 * {@code GET /silo/pulses?ids=a,b}: which of some {@link Pulse pulses} this silo fires the reminders of (it holds
 * the lease of their bucket of the reminder table) and which it hosts. The two differ: a bucket's owner is the
 * ring's owner of its first hash, an actor's is the ring's owner of its own hash, and a tick fired here for an
 * actor hosted elsewhere is a call to that silo.
 */
@RestController
@ConditionalOnProperty(name = "quark.cluster.mode", havingValue = "silo", matchIfMissing = true)
class SiloController {

    private final SiloMembership membership;

    private final ActorRuntime runtime;

    private final ReminderTickManager reminders;

    SiloController(SiloMembership membership, ActorRuntime runtime, ReminderTickManager reminders) {
        this.membership = membership;
        this.runtime = runtime;
        this.reminders = reminders;
    }

    @GetMapping("/silo")
    SiloDescription silo(@RequestParam(defaultValue = "") List<String> accounts) {
        long activations = this.runtime.actorTypes()
            .stream()
            .filter((type) -> type.contracts().contains(Account.class))
            .mapToLong(ActorTypeView::activationCount)
            .sum();
        List<String> hosting = accounts.stream().filter((id) -> this.runtime.isActive(Account.class, id)).toList();
        return new SiloDescription(this.membership.settings().siloId(), this.membership.state().name(),
                this.membership.isServing(),
                this.membership.current().membership().withStatus(SiloStatus.ACTIVE).size(), activations, hosting);
    }

    @GetMapping("/silo/pulses")
    SiloPulses pulses(@RequestParam List<String> ids) {
        ReminderBucketSet fired = this.reminders.ownedBuckets();
        String pulseType = this.runtime.wireNameOf(Pulse.class);
        List<String> firing = ids.stream()
            .filter((id) -> fired.contains(ReminderBuckets.of(new ActorAddress(pulseType, id))))
            .toList();
        List<String> hosting = ids.stream().filter((id) -> this.runtime.isActive(Pulse.class, id)).toList();
        return new SiloPulses(this.membership.settings().siloId(), firing, hosting);
    }

    /**
     * What a silo says about itself.
     * @param siloId its id
     * @param state its membership state ({@code ACTIVE} once it has joined)
     * @param serving whether it serves calls now
     * @param activeSilos how many silos are active in its view of the cluster, itself included
     * @param accountActivations how many accounts are active on it
     * @param hosting the accounts asked about that are active on it
     */
    record SiloDescription(String siloId, String state, boolean serving, int activeSilos, long accountActivations,
            List<String> hosting) {
    }

    /**
     * Which pulses a silo fires and hosts.
     * @param siloId its id
     * @param firing the pulses asked about whose reminders it fires now
     * @param hosting the pulses asked about that are active on it
     */
    record SiloPulses(String siloId, List<String> firing, List<String> hosting) {
    }
}
