package dev.quark.samples.cluster;

import java.util.List;

import dev.quark.cluster.membership.SiloMembership;
import dev.quark.cluster.membership.SiloStatus;
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
 */
@RestController
@ConditionalOnProperty(name = "quark.cluster.mode", havingValue = "silo", matchIfMissing = true)
class SiloController {

    private final SiloMembership membership;

    private final ActorRuntime runtime;

    SiloController(SiloMembership membership, ActorRuntime runtime) {
        this.membership = membership;
        this.runtime = runtime;
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
}
