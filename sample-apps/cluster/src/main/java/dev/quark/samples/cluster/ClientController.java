package dev.quark.samples.cluster;

import java.util.List;

import dev.quark.cluster.client.ClientMembership;
import dev.quark.cluster.membership.SiloEntry;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /client}, when the application runs as a cluster client ({@code quark.cluster.mode=client}): its id,
 * the membership version it routes with and the silos it sees active. The bank's API works the same on a client:
 * every call goes to the silo that owns the account.
 */
@RestController
@ConditionalOnProperty(name = "quark.cluster.mode", havingValue = "client")
class ClientController {

    private final ClientMembership membership;

    ClientController(ClientMembership membership) {
        this.membership = membership;
    }

    @GetMapping("/client")
    ClientDescription client() {
        return new ClientDescription(this.membership.clientId(), this.membership.current().version(),
                this.membership.activeSilos().stream().map(SiloEntry::siloId).toList());
    }

    /**
     * What a cluster client says about itself.
     * @param clientId its id
     * @param membershipVersion the version of the membership table it routes with
     * @param activeSilos the silos it sees active
     */
    record ClientDescription(String clientId, long membershipVersion, List<String> activeSilos) {
    }
}
