package dev.quark.samples.cluster;

import java.util.List;

import dev.quark.actor.ActorRefFactory;
import dev.quark.samples.bank.Account;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /bank/total?accounts=alice,bob}: the sum of the balances of some accounts, one call to each
 * account's actor, wherever in the cluster it lives.
 */
@RestController
class BankTotalController {

    private final ActorRefFactory actors;

    BankTotalController(ActorRefFactory actors) {
        this.actors = actors;
    }

    @GetMapping("/bank/total")
    BankTotal total(@RequestParam List<String> accounts) {
        long total = 0;
        for (String id : accounts) {
            total = Math.addExact(total, this.actors.get(Account.class, id).balance());
        }
        return new BankTotal(accounts.size(), total);
    }

    /**
     * The total of some accounts.
     * @param accounts how many accounts were added up
     * @param total the sum of their balances
     */
    record BankTotal(int accounts, long total) {
    }
}
