package dev.quark.samples.bank;

import dev.quark.actor.ActorRefFactory;
import dev.quark.state.ConcurrencyException;
import dev.quark.state.StateStoreException;
import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The REST API of the bank: every request is one call to the account's actor (a transfer first asks the account
 * credited whether it exists), or to the account's ledger.
 */
@RestController
@RequestMapping("/accounts/{id}")
class AccountController {

    private final ActorRefFactory actors;

    AccountController(ActorRefFactory actors) {
        this.actors = actors;
    }

    @PostMapping("/deposit")
    AccountBalance deposit(@PathVariable String id, @RequestParam long amount) {
        return new AccountBalance(id, account(id).deposit(amount));
    }

    @PostMapping("/withdraw")
    AccountBalance withdraw(@PathVariable String id, @RequestParam long amount) {
        return new AccountBalance(id, account(id).withdraw(amount));
    }

    /**
     * Moves money to another account. The answer is the source's new balance; the target's shows the credit once
     * the outbox delivered it (shortly after).
     */
    @PostMapping("/transfer")
    Transfer transfer(@PathVariable String id, @RequestParam String to, @RequestParam long amount) {
        if (!account(to).opened()) {
            throw UnknownAccountException.of(to);
        }
        return account(id).transfer(to, amount);
    }

    /**
     * The account's ledger, now or as it was at a version.
     */
    @GetMapping("/ledger")
    LedgerView ledger(@PathVariable String id, @RequestParam(required = false) @Nullable Long version) {
        if (!account(id).opened()) {
            throw UnknownAccountException.of(id);
        }
        Ledger ledger = this.actors.get(Ledger.class, id);
        return (version != null) ? ledger.at(version) : ledger.latest();
    }

    @GetMapping
    AccountBalance balance(@PathVariable String id) {
        return new AccountBalance(id, account(id).balance());
    }

    @ExceptionHandler
    ProblemDetail insufficientFunds(InsufficientFundsException ex) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, ex.getMessage());
    }

    @ExceptionHandler
    ProblemDetail unknownAccount(UnknownAccountException ex) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, ex.getMessage());
    }

    @ExceptionHandler
    ProblemDetail invalidInput(IllegalArgumentException ex) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, ex.getMessage());
    }

    @ExceptionHandler
    ProblemDetail concurrentChange(ConcurrencyException ex) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, "The account changed meanwhile; try again");
    }

    @ExceptionHandler
    ProblemDetail storeUnavailable(StateStoreException ex) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE, "Accounts are unavailable; try again later");
    }

    private Account account(String id) {
        return this.actors.get(Account.class, id);
    }

    /**
     * The balance of an account after an operation.
     * @param id the account id
     * @param balance the balance
     */
    record AccountBalance(String id, long balance) {
    }
}
