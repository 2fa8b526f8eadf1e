"""senderpools: a self-hostable server for the Sender Pools part of Twilio's Comms API."""
